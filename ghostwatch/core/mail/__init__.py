"""Reading mail: headers, what a message is (reply, bounce, out-of-office), addresses."""
