"""The one search: a box in the staff bar that finds people, organizations, ridings, interactions, proposals,
campaigns and members."""
