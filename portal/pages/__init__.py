"""One module per page; `portal.portal` registers them."""
