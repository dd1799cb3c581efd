"""What nlq reads into the figures beyond answering: why they changed."""
