"""Read models: one module per projection, the machinery in `base`, the runner in `runner`."""
