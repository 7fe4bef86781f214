"""One module per feature: what a guest, customer or staff member can do, through narrow ports."""
