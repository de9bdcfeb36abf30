"""The experiments that ship with the workbench."""
