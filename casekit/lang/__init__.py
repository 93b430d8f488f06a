"""Language data as plain constants (speaker labels, later lemma exceptions and stop words)."""
