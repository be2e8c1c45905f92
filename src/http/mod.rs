//! The HTTP server: vote page, button webhooks, party API. (Stub: to be filled in.)
