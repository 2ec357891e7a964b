"""Call-to-action mailings: segments of members, mailings to them, and the signed action link."""
