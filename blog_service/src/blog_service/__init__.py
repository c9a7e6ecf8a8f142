"""blog_service: articles, comments, tags, favorites, feeds and search."""
