"""`make bench`: seed blog_service with 10,000 articles, load it with locust, report the speed."""
