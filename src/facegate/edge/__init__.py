"""Hub and device roles: pairing, signed sync of state down and audit logs up."""
