"""Door cameras: IP-camera streams on a device node, decoded in memory and decided through the gate."""
