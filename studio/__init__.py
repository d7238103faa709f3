"""storyreel.studio"""
