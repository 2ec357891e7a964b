"""proposals domain: proposals per jurisdiction, immutable versions, the asks scoreboard."""
