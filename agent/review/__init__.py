"""The review engine: program model per language, key families, static rules, live rules, report."""
