"""stub"""
EPISODES = []
LONG_SESSIONS = []
