"""stub"""
EPISODES = []
