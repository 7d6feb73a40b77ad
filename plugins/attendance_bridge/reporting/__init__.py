"""The run folders, the run report (JSON), the pages and their publishing (SPEC section 6)."""
