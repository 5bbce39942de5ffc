"""Texts of the retrieval development set (bench/labelled/retrieval_dev/), all invented here.

`make_retrieval_set.py` turns them into the pipeline's three source formats. Modules:
- steps: the small step language of a conversation (user prompt, assistant text, tool calls) and the
  `Ep` / `Q` records that tie an episode to the queries it answers;
- projects: the twelve invented projects (stack, files, functions, commands) the filler draws from;
- ep_python, ep_web, ep_systems: hand-written episodes (the answers) with their queries;
- long_sessions: long working sessions whose later parts hold the answers of `deep` queries;
- notes: short inbox notes and Session Buddy reflections, targets and distractors;
- filler: background conversations made from templates over the project vocabularies.
"""
