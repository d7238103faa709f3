"""storyreel.tui"""
