# A minimal HTTP/1.1 client over a socket (one request per connection), so the server
# tests need no HTTP package beyond base R.
http_request <- function(port, method, path, body = NULL, content_type = "application/json") {
  con <- socketConnection("127.0.0.1", port, blocking = TRUE, open = "r+b", timeout = 10)
  on.exit(close(con))
  payload <- if (is.null(body)) raw() else if (is.raw(body)) body else charToRaw(body)
  head <- paste0(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
                 if (length(payload)) paste0("Content-Type: ", content_type, "\r\n") else "",
                 "Content-Length: ", length(payload), "\r\n\r\n")
  writeBin(c(charToRaw(head), payload), con)
  response <- raw()
  repeat {
    chunk <- readBin(con, "raw", 65536L)
    if (length(chunk) == 0) break
    response <- c(response, chunk)
  }
  text <- rawToChar(response)
  parts <- regmatches(text, regexpr("\r\n\r\n", text), invert = TRUE)[[1]]
  status <- as.integer(sub("^HTTP/1.1 (\\d+).*", "\\1", strsplit(parts[1], "\r\n")[[1]][1]))
  type <- sub("(?is).*\r\ncontent-type: ([^\r]+).*", "\\1", parts[1], perl = TRUE)
  list(status = status, type = type, body = parts[2])
}

start_handler <- function(model, port = httpuv::randomPort()) {
  proc <- processx::process$new(file.path(R.home("bin"), "Rscript"),
                                c(file.path(handler_root, "main.R"), "--model", model, "--port", port),
                                stdout = "|", stderr = "|")
  list(proc = proc, port = port, started = Sys.time())
}

wait_for <- function(handler, path, status = 200L, seconds = 30) {
  deadline <- Sys.time() + seconds
  while (Sys.time() < deadline) {
    res <- tryCatch(suppressWarnings(http_request(handler$port, "GET", path)), error = function(e) NULL)
    if (!is.null(res) && identical(res$status, status)) return(res)
    if (!handler$proc$is_alive()) stop("the handler exited: ", handler$proc$read_all_error())
    Sys.sleep(0.05)
  }
  stop("timed out waiting for ", path)
}
