"""Pages every visitor may read: help, privacy notice, and the convention's logo."""
