"""Bone-health follow-through (CLINICAL.md section 6): the checklist after a fracture, the
long-interval bone medicines, measured height, and what the report's bone-health box shows."""
