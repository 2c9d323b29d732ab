"""HTTP edge: the Litestar app implementing the v1 contract."""
