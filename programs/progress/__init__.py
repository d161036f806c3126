"""Where she stands in the program, read in one query for the pages she sees most."""
