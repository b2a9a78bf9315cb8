"""nn.functional families kept in their own files; functional.py re-exports them."""
