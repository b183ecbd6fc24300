"""The borrower portal: a person signed in sees what they hold and when it is due, renews by
the kiosks' rule, plans a loan from what is free and follows their due times in a calendar."""
