"""Member programs: Cracking, Besides, Between and Before the CaRMS — events, registrations, resources."""
