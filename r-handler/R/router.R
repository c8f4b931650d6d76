# The plumber router over a service. Bodies are read raw and parsed by the service, so no
# plumber body parser (rds, yaml, multipart, ...) is ever enabled, and malformed JSON is a
# 400 rather than plumber's 500.

as_plumber_response <- function(res, out) {
  res$status <- out$status
  res$setHeader("Content-Type", out$type)
  res$body <- out$body
  res
}

# Hands the body over untouched, whatever its content type; the service parses it.
register_raw_parser <- function() {
  plumber::register_parser("raw", function(...) function(value, ...) value, regex = ".*", verbose = FALSE)
}

# Routes are served at /<route>, and also at /api/<route> for the Functions host, which
# forwards requests to a custom handler with their path unchanged.
build_router <- function(svc) {
  register_raw_parser()
  route <- function(fn) function(req, res) as_plumber_response(res, fn(svc))
  score <- function(req, res) as_plumber_response(res, score_route(svc, req$bodyRaw, req$HTTP_CONTENT_TYPE))
  pr <- plumber::pr()
  for (prefix in c("", "/api")) {
    pr <- plumber::pr_get(pr, paste0(prefix, "/live"), route(live_route), serializer = plumber::serializer_json())
    pr <- plumber::pr_get(pr, paste0(prefix, "/ready"), route(ready_route), serializer = plumber::serializer_json())
    pr <- plumber::pr_get(pr, paste0(prefix, "/metadata"), route(metadata_route), serializer = plumber::serializer_json())
    pr <- plumber::pr_post(pr, paste0(prefix, "/score"), score, parsers = "raw", serializer = plumber::serializer_json())
  }
  pr <- plumber::pr_set_docs(pr, FALSE)
  pr <- plumber::pr_set_debug(pr, FALSE)
  pr <- plumber::pr_set_404(pr, function(req, res) {
    as_plumber_response(res, problem_response(scoring_error(404L, "not_found", "No such route.")))
  })
  plumber::pr_set_error(pr, function(req, res, err) {
    message("unhandled error: ", conditionMessage(err))
    as_plumber_response(res, problem_response(scoring_error(500L, "internal", "The scoring handler failed.")))
  })
}
