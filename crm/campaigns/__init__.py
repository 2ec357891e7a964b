"""campaigns domain: campaigns, letter templates, the member letter flow."""
