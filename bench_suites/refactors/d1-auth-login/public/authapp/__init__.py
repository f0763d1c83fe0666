"""A tiny account service: user records, errors and (to be written) the login flow."""
