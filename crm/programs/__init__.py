"""Member programs: Cracking, Besides, Between and Before the CaRMS — events, registrations, resources."""

from crm.programs import privacy  # noqa: F401  (registrations in data export and erasure)
