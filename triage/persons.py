"""(Being built for issue 19.)"""
