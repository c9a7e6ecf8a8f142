"""The portal: the Reflex web app for readers and writers."""
