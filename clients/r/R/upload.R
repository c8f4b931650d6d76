# Uploading a batch input straight to Blob Storage (the valet key pattern):
# POST /api/batches/uploads gives {blob, url, headers, expiresAt}; the file is PUT to `url`
# (a SAS that may create that one blob) without the function key; then the batch is
# submitted as {"blob": blob}. Files up to `rscoring.upload_single_put_max` bytes (256 MiB)
# go in one PUT, through a create-only URL; larger ones in blocks of
# `rscoring.upload_block_size` bytes (64 MiB): the URL is asked for with {"blocks": true}
# (Put Block and Put Block List need write permission), Put Block for each, then Put Block
# List, with the same URL. The URL is a secret while it lasts: it never appears in a message.

upload_input <- function(endpoint, path, format = "csv") {
  whole <- file.size(path) <= getOption("rscoring.upload_single_put_max", 256 * 1024^2)
  req <- api_request(endpoint, "POST", "/api/batches/uploads")
  req <- json_body(req, list(format = format, blocks = !whole))
  target <- resp_json(api_perform(req))
  if (is.null(target$url) || is.null(target$blob)) stop("The app's upload answer has no `url` or `blob`.", call. = FALSE)
  headers <- or_else(target$headers, list(`x-ms-blob-type` = "BlockBlob"))
  if (whole) {
    put_whole(target$url, path, headers)
  } else {
    put_blocks(target$url, path, headers, getOption("rscoring.upload_block_size", 64 * 1024^2))
  }
  target$blob
}

# A request to Blob Storage: no key, no redirects, no overall time limit (large files),
# but a stalled transfer (under 1 byte/s for 120 s) fails.
storage_request <- function(url, method) {
  req <- httr2::request(url)
  req <- httr2::req_method(req, method)
  req <- httr2::req_user_agent(req, user_agent())
  req <- httr2::req_options(req, followlocation = 0L, low_speed_limit = 1L, low_speed_time = 120L, connecttimeout = 30L)
  httr2::req_error(req, is_error = function(resp) FALSE)
}

put_whole <- function(url, path, headers) {
  req <- storage_request(url, "PUT")
  type <- or_else(headers[["content-type"]], "application/octet-stream")
  headers[["content-type"]] <- NULL
  req <- do.call(httr2::req_headers, c(list(req), headers, list(Expect = "")))
  req <- httr2::req_body_file(req, path, type = type)
  check_storage(perform(req), "uploading the batch input")
}

put_blocks <- function(url, path, headers, block_size) {
  con <- file(path, open = "rb")
  on.exit(close(con))
  ids <- character()
  repeat {
    bytes <- readBin(con, "raw", block_size)
    if (length(bytes) == 0L) break
    id <- jsonlite::base64_enc(charToRaw(sprintf("block-%08d", length(ids))))
    req <- storage_request(paste0(url, "&comp=block&blockid=", curl::curl_escape(id)), "PUT")
    req <- httr2::req_headers(req, Expect = "")
    req <- httr2::req_body_raw(req, bytes, type = "application/octet-stream")
    check_storage(perform(req), sprintf("uploading block %d of the batch input", length(ids) + 1L))
    ids <- c(ids, id)
  }
  xml <- paste0("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>",
                paste0("<Latest>", ids, "</Latest>", collapse = ""), "</BlockList>")
  req <- storage_request(paste0(url, "&comp=blocklist"), "PUT")
  type <- or_else(headers[["content-type"]], "application/octet-stream")
  req <- httr2::req_headers(req, `x-ms-blob-content-type` = type, Expect = "")
  req <- httr2::req_body_raw(req, xml, type = "application/xml")
  check_storage(perform(req), "committing the uploaded blocks")
}

check_storage <- function(resp, doing) {
  status <- httr2::resp_status(resp)
  if (status >= 200L && status < 300L) return(invisible(resp))
  code <- or_else(httr2::resp_header(resp, "x-ms-error-code"), NA_character_)
  signal_error(
    "storage_error",
    sprintf("Blob Storage refused %s: HTTP %d%s.", doing, status, if (is.na(code)) "" else paste0(" (", code, ")")),
    status = status, storage_code = code
  )
}
