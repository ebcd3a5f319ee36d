"""Cases: applications, change requests, grievances, appeals, duplicate reviews, payment issues and referrals."""
