"""Text: templates, hashtags and the length rules of each platform."""
