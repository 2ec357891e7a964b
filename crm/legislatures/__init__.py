"""Legislatures across Canada through Open North's Represent API: its client, the representatives it lists kept in
the directory, postal-code lookups for any legislature, and the refresh of a legislature's members."""
