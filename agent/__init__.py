"""storyreel.agent"""
