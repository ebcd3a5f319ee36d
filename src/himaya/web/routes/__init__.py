"""The front office's pages, one module per screen group: each parses the form, calls one action
(the same as the API's, with the same principal) and renders a template."""
