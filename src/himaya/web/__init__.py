"""L5: the web front office that branch staff use, Arabic first (docs/web.md). Server-rendered pages
on the same actions, scoping and masking as the API; installed beside it by `himaya.service`."""
