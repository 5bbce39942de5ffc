"""Text analysis shared by the flows: the lexical tokeniser for developer text (search, co-mentions, topic labels)."""
