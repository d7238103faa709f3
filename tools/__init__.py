"""storyreel.tools"""
