# Whether the app has the admin routes (publish, aliases, history, delete), which are being
# built: GET /api/models/{name}/history with the admin key answers something other than a
# bare 404 (a model the route does not know is a 404 with code model_not_found: the route
# is there).

#' Whether the app offers the admin routes
#'
#' Asks `GET /api/models/{name}/history` with the admin key: anything but a bare 404 means
#' the routes are there.
#' @param endpoint A `scoring_endpoint` (from [scoring_endpoint()]).
#' @param name A model to ask about (any name will do).
#' @return TRUE or FALSE (FALSE too without an admin key).
#' @export
admin_routes_available <- function(endpoint, name = "rscoring-probe") {
  check_endpoint(endpoint)
  if (is.null(endpoint$secrets$admin_key)) return(FALSE)
  req <- api_request(endpoint, "GET", sprintf("/api/models/%s/history", path_part(name, "name")), admin = TRUE)
  resp <- tryCatch(perform(req), rscoring_connection_error = function(e) NULL)
  if (is.null(resp)) return(FALSE)
  status <- httr2::resp_status(resp)
  if (status != 404L) return(status < 500L)
  code <- tryCatch(resp_json(resp)$code, error = function(e) NULL)
  identical(code, "model_not_found")
}
