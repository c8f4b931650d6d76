# The sample models, trained once per run into a temporary folder (or R_SCORING_MODELS).
models_dir <- local({
  dir <- Sys.getenv("R_SCORING_MODELS", "")
  if (!nzchar(dir)) dir <- file.path(tempdir(), "models")
  if (!file.exists(file.path(dir, "boston-rf", "model.rds"))) {
    status <- system2(file.path(R.home("bin"), "Rscript"),
                      c(file.path(handler_root, "examples", "train.R"), dir), stdout = FALSE, stderr = FALSE)
    if (status != 0) stop("training the sample models failed")
  }
  dir
})

model_dir <- function(name) file.path(models_dir, name)

loaded_service <- function(name) {
  svc <- load_service(new_service(model_dir(name)))
  if (!identical(svc$state, "ready")) stop("model ", name, " did not load: ", svc$error)
  svc
}

prototype <- function(name) readRDS(file.path(model_dir(name), "prototype.rds"))

# jsonlite writes at most 15 significant digits: doubles go as their exact text (17 digits),
# one value unboxed as auto_unbox does.
json_numbers <- function(v) {
  text <- ifelse(is.finite(v), sprintf("%.17g", v), "null")
  structure(if (length(text) == 1L) text else paste0("[", paste(text, collapse = ","), "]"), class = "json")
}

# The columns body for a frame (one row's values unboxed; a missing one as [null]).
columns_body <- function(frame, type = NULL) {
  cols <- lapply(frame, function(v) {
    if (length(v) == 1L && is.na(v)) return(I(NA))
    if (is.factor(v)) return(as.character(v))
    if (inherits(v, "difftime")) v <- as.numeric(v)
    if (is.double(v) && !inherits(v, c("Date", "POSIXt"))) return(json_numbers(v))
    v
  })
  body <- list(columns = cols)
  if (!is.null(type)) body$type <- type
  charToRaw(as.character(jsonlite::toJSON(body, auto_unbox = TRUE, na = "null", POSIXt = "ISO8601", UTC = TRUE,
                                          json_verbatim = TRUE)))
}

json_of <- function(out) jsonlite::fromJSON(out$body, simplifyVector = TRUE)

# The numbers of a numeric predictions array, as the exact text the handler wrote.
prediction_tokens <- function(out) {
  inner <- sub('^.*"predictions":\\[(.*)\\]\\}$', "\\1", out$body)
  strsplit(inner, ",", fixed = TRUE)[[1]]
}

# The numbers given for one class in a probabilities array.
class_tokens <- function(out, cls) {
  m <- regmatches(out$body, gregexpr(sprintf('"%s":[^,}]+', cls), out$body))[[1]]
  sub("^.*:", "", m)
}

# 17 significant digits identify a double: the handler's text must be exactly this.
exact <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "null")
