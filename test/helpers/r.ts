import { execa } from 'execa';
import { join } from 'node:path';
import { sampleModelsDir } from '../../scripts/samples.js';

/**
 * R's own predict() (or score.R's score()) on rows chosen by an R expression over the
 * model directory's prototype (`proto`), printed with 17 significant digits so that
 * JSON.parse gives the very doubles R computed.
 */
export async function rPredict(model: string, rowsExpr: string, type?: string): Promise<unknown[]> {
  const script = `
    suppressPackageStartupMessages({library(randomForest); library(MASS); library(glmnet)})
    dir <- "${join(sampleModelsDir, model)}"
    m <- readRDS(file.path(dir, "model.rds")); proto <- readRDS(file.path(dir, "prototype.rds"))
    rows <- ${rowsExpr}
    p <- if (file.exists(file.path(dir, "score.R"))) {
      e <- new.env(); sys.source(file.path(dir, "score.R"), envir = e)
      ${type ? `e$score(m, rows, type = "${type}")` : 'e$score(m, rows)'}
    } else predict(m, rows${type ? `, type = "${type}"` : ''})
    num <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "null")
    if (is.matrix(p)) {
      cat("[", paste(apply(p, 1, function(r) paste0("{", paste0('"', colnames(p), '":', num(r), collapse = ","), "}")), collapse = ","), "]")
    } else if (is.factor(p) || is.character(p)) {
      cat(jsonlite::toJSON(as.character(p)))
    } else cat("[", paste(num(p), collapse = ","), "]")`;
  const { stdout } = await execa('Rscript', ['-e', script]);
  return JSON.parse(stdout) as unknown[];
}

/** Rows of a model's prototype as records (jsonlite: at most 15 significant digits, which these prototypes' values have). */
export async function rRecords(model: string, rowsExpr: string): Promise<Record<string, unknown>[]> {
  const script = `
    dir <- "${join(sampleModelsDir, model)}"
    proto <- readRDS(file.path(dir, "prototype.rds")); rows <- ${rowsExpr}; rownames(rows) <- NULL
    cat(jsonlite::toJSON(rows, dataframe = "rows", digits = I(17), factor = "string"))`;
  const { stdout } = await execa('Rscript', ['-e', script]);
  return JSON.parse(stdout) as Record<string, unknown>[];
}
