"""Policy simulation: replay daily demand through the live reorder, allocation and clearance rules."""
