# The loaded model and what the HTTP routes do with it. No plumber here: each handler takes
# plain values and returns list(status, body) with body a JSON string, so tests call them
# directly.

# `debug` puts R's error messages in answers' detail (plumber's debug mode);
# `report_errors` adds them as "rMessage" for the app, which logs them and decides what to show.
new_service <- function(model_dir, debug = FALSE, report_errors = FALSE) {
  svc <- new.env(parent = emptyenv())
  svc$model_dir <- normalizePath(model_dir, mustWork = FALSE)
  svc$debug <- debug
  svc$report_errors <- report_errors
  svc$state <- "loading"
  svc$error <- NULL
  svc
}

model_files <- function(model_dir) {
  list(
    model = file.path(model_dir, "model.rds"),
    schema = file.path(model_dir, "model.json"),
    score = file.path(model_dir, "score.R")
  )
}

# Loads the model, its schema and its scorer, then scores the schema's example row once.
# Leaves svc$state "ready", or "failed" with svc$error.
load_service <- function(svc) {
  started <- Sys.time()
  files <- model_files(svc$model_dir)
  tryCatch({
    if (!file.exists(files$model)) stop(sprintf("no model.rds in %s", svc$model_dir))
    svc$model <- read_model(files$model)$model
    schema <- if (file.exists(files$schema)) read_schema(files$schema) else NULL
    score_path <- if (file.exists(files$score)) files$score else NULL
    attach_packages(if (is.null(schema)) model_packages(svc$model, score_path = score_path) else unlist(schema$packages))
    if (is.null(schema)) {
      described <- describe_model(svc$model, score_path)
      svc$schema <- described$schema
      svc$scorer <- described$scorer
    } else {
      svc$schema <- schema
      svc$scorer <- schema_scorer(svc$model, schema, score_path)
    }
    svc$type_json <- stats::setNames(as.list(format_strings(svc$scorer$types)), svc$scorer$types)
    example <- schema_example(svc$schema)
    svc$scorer$fn(example, svc$scorer$default_type)
    svc$load_seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
    svc$state <- "ready"
  }, error = function(e) {
    svc$state <- "failed"
    svc$error <- conditionMessage(e)
    message("model failed to load: ", conditionMessage(e))
  })
  invisible(svc)
}

json_response <- function(status, body) list(status = as.integer(status), body = body, type = "application/json")

problem_response <- function(err) {
  list(status = as.integer(err$status), body = to_json(problem_body(err)), type = "application/problem+json")
}

live_route <- function(svc) json_response(200L, to_json(list(status = "live")))

ready_route <- function(svc) {
  if (identical(svc$state, "ready")) return(json_response(200L, to_json(list(status = "ready"))))
  body <- list(status = svc$state)
  if (!is.null(svc$error)) body$detail <- svc$error
  json_response(503L, to_json(body))
}

metadata_route <- function(svc) {
  if (!identical(svc$state, "ready")) return(problem_response(scoring_error(503L, "not_ready", "The model is not loaded yet.")))
  json_response(200L, to_json(list(
    modelClass = I(class(svc$model)),
    r = paste(R.version$major, R.version$minor, sep = "."),
    packages = package_versions(unique(c("plumber", "jsonlite", unlist(svc$schema$packages)))),
    customScore = svc$scorer$custom,
    types = I(svc$scorer$types),
    defaultType = svc$scorer$default_type,
    schema = svc$schema
  )))
}

run_scorer <- function(svc, newdata, type) {
  withCallingHandlers(
    tryCatch(svc$scorer$fn(newdata, type), error = function(e) {
      msg <- r_message(e)
      message("prediction failed: ", msg)
      detail <- if (svc$debug) msg else "The model could not score these rows."
      abort_scoring(500L, "prediction_failed", detail, r_message = if (svc$report_errors) msg)
    }),
    warning = function(w) invokeRestart("muffleWarning")
  )
}

score_route <- function(svc, raw_body, content_type = "application/json") {
  tryCatch({
    if (!identical(svc$state, "ready")) abort_scoring(503L, "not_ready", "The model is not loaded yet.")
    plain_json <- is.null(content_type) || identical(content_type, "application/json") || !nzchar(content_type)
    frame <- !plain_json && is_frame_type(content_type)
    if (!plain_json && !frame && !grepl("^application/([a-z.+-]+\\+)?json", tolower(content_type))) {
      abort_scoring(415L, "unsupported_media_type", "Send the rows as application/json.")
    }
    request <- if (frame) parse_frame(raw_body) else parse_score_request(raw_body)
    type <- if (is.null(request$type)) svc$scorer$default_type else request$type
    if (!(type %in% svc$scorer$types)) {
      abort_scoring(422L, "unsupported_type",
                    sprintf("This model offers the prediction types: %s.", paste(svc$scorer$types, collapse = ", ")),
                    list(field_error("type", "is not offered by this model", pointer = "/type")))
    }
    newdata <- coerce_columns(request$columns, svc$schema$features, request$n, request_pointer(request))
    pred <- run_scorer(svc, newdata, type)
    predictions <- if (frame && is.numeric(pred) && !is.matrix(pred)) {
      paste0('"predictions64":"', doubles_base64(pred), '"')
    } else {
      paste0('"predictions":', predictions_json(pred))
    }
    json_response(200L, paste0('{"type":', svc$type_json[[type]], ',"rows":', request$n, ",", predictions, "}"))
  }, scoring_error = problem_response)
}
