# The model zoo: ordinary models from CRAN packages that Debian ships, each trained
# deterministically on a data set that ships with R or with its package. For each: the
# prediction types the service must offer, its default, and for each type the plain R call
# whose result the service must give back (equal to the last bit).
#
# Used by test/zoo/train.R (model directories for the HTTP tests) and by the R handler's
# testthat suite (test-zoo.R, in process).

# `packages` are further packages the fit attaches first (as an R user's library() calls
# do), so that its formula can call their functions unqualified, e.g. ns() from splines.
zoo_model <- function(name, package, data, fit, types, default, score = NULL, response = NULL,
                      prototype = "rds", rows = NULL, packages = character()) {
  list(name = name, package = package, data = data, fit = fit, types = types, default = default,
       score = score, response = response, prototype = prototype, packages = packages,
       rows = if (is.null(rows)) spread_rows(data) else rows)
}

# The packages to attach before fitting a zoo model: its own, then any it names.
zoo_packages <- function(z) setdiff(c(z$package, z$packages), "stats")

# Six rows spread over the data, none with a missing value.
spread_rows <- function(data, n = 6L) {
  ok <- which(stats::complete.cases(data))
  data[ok[unique(round(seq(1, length(ok), length.out = n)))], , drop = FALSE]
}

# predict() gives one row's class probabilities as a named vector: as a one-row matrix.
one_row <- function(p) if (is.null(dim(p)) && !is.null(names(p)) && length(p) > 1L) t(p) else p

lung <- function() stats::na.omit(survival::lung[, c("time", "status", "age", "sex", "ph.ecog")])

# A data set of a package that does not lazy-load its data.
package_data <- function(name, package) {
  e <- new.env()
  utils::data(list = name, package = package, envir = e)
  e[[name]]
}

# Cigarette consumption of the US states in 1995 (Stock and Watson's instrumental variables example).
cigarettes <- function() {
  d <- package_data("CigarettesSW", "AER")
  d[d$year == "1995", c("packs", "price", "cpi", "income", "population", "tax", "taxs")]
}

# Every 40th police stop in Minneapolis in 2017, at a time of day in America/Chicago.
police_stops <- function() {
  d <- carData::MplsStops
  d <- d[seq(1L, nrow(d), by = 40L), c("personSearch", "date", "problem", "gender", "policePrecinct")]
  stats::na.omit(d)
}

# Lung function in the rhDNase trial: the entry date and the follow-up as a difftime.
rhdnase <- function() {
  d <- survival::rhDNase
  d$followup <- d$end.dt - d$entry.dt
  d[, c("fev", "trt", "entry.dt", "followup")]
}

# Air quality with its missing values: rows with NA inputs first.
airquality_na <- function() airquality[c(5L, 1L, 11L, 27L, 62L, 96L, 150L), ]

orthodont_character <- function() {
  d <- as.data.frame(nlme::Orthodont)[, c("distance", "age", "Sex")]
  d$Sex <- as.character(d$Sex)
  d
}

mtcars_character <- function() {
  d <- mtcars[, c("mpg", "wt", "hp")]
  d$gears <- as.character(mtcars$gear)
  d$manual <- mtcars$am == 1
  d
}

zoo_models <- function() list(
  zoo_model("lm", "stats", mtcars, function(d) lm(mpg ~ wt + hp + qsec, data = d),
            list(response = function(m, x) predict(m, x)), "response", prototype = "csv"),
  zoo_model("glm-binomial", "stats", mtcars, function(d) glm(am ~ wt + hp, data = d, family = binomial),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response"),
  zoo_model("glm-negbin", "MASS", MASS::quine, function(d) MASS::glm.nb(Days ~ Sex + Age + Eth + Lrn, data = d),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response", prototype = "csv"),
  zoo_model("nls", "stats", mtcars, function(d) nls(mpg ~ a * exp(b * wt), data = d, start = list(a = 40, b = -0.3)),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("prcomp-scores", "stats", USArrests, function(d) prcomp(d, scale. = TRUE),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("loess", "stats", cars, function(d) loess(dist ~ speed, data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("randomForest-regression", "randomForest", mtcars,
            function(d) { set.seed(1); randomForest::randomForest(mpg ~ ., data = d, ntree = 50) },
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("randomForest-classification", "randomForest", iris,
            function(d) { set.seed(1); randomForest::randomForest(Species ~ ., data = d, ntree = 50) },
            list(response = function(m, x) predict(m, x, type = "response"),
                 prob = function(m, x) predict(m, x, type = "prob"),
                 vote = function(m, x) predict(m, x, type = "vote"),
                 class = function(m, x) predict(m, x, type = "class")), "response", prototype = "csv"),
  zoo_model("ranger-regression", "ranger", mtcars,
            function(d) ranger::ranger(mpg ~ ., data = d, num.trees = 50, seed = 1, num.threads = 1),
            list(response = function(m, x) predict(m, x, num.threads = 1)$predictions), "response"),
  zoo_model("ranger-probability", "ranger", iris,
            function(d) ranger::ranger(Species ~ ., data = d, num.trees = 50, probability = TRUE, seed = 1, num.threads = 1),
            list(response = function(m, x) predict(m, x, num.threads = 1)$predictions), "response"),
  zoo_model("rpart-classification", "rpart", iris, function(d) rpart::rpart(Species ~ ., data = d),
            list(vector = function(m, x) predict(m, x, type = "vector"),
                 prob = function(m, x) predict(m, x, type = "prob"),
                 class = function(m, x) predict(m, x, type = "class")), "prob"),
  zoo_model("rpart-regression", "rpart", mtcars, function(d) rpart::rpart(mpg ~ ., data = d, minsplit = 5),
            list(vector = function(m, x) predict(m, x, type = "vector"),
                 matrix = function(m, x) predict(m, x, type = "matrix")), "vector"),
  zoo_model("lda", "MASS", iris, function(d) MASS::lda(Species ~ ., data = d),
            list(class = function(m, x) predict(m, x)$class,
                 posterior = function(m, x) predict(m, x)$posterior), "class"),
  zoo_model("qda", "MASS", iris, function(d) MASS::qda(Species ~ ., data = d),
            list(class = function(m, x) predict(m, x)$class,
                 posterior = function(m, x) predict(m, x)$posterior), "class"),
  zoo_model("polr-ordinal", "MASS", MASS::housing,
            function(d) MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = d),
            list(class = function(m, x) predict(m, x, type = "class"),
                 probs = function(m, x) one_row(predict(m, x, type = "probs"))), "class"),
  zoo_model("multinom", "nnet", iris, function(d) nnet::multinom(Species ~ ., data = d, trace = FALSE),
            list(class = function(m, x) predict(m, x, type = "class"),
                 probs = function(m, x) one_row(predict(m, x, type = "probs"))), "class"),
  zoo_model("nnet", "nnet", iris, function(d) { set.seed(1); nnet::nnet(Species ~ ., data = d, size = 3, trace = FALSE) },
            list(raw = function(m, x) predict(m, x, type = "raw"),
                 class = function(m, x) predict(m, x, type = "class")), "raw"),
  zoo_model("svm", "e1071", iris, function(d) { set.seed(1); e1071::svm(Species ~ ., data = d, probability = TRUE) },
            list(response = function(m, x) predict(m, x),
                 probabilities = function(m, x) attr(predict(m, x, probability = TRUE), "probabilities")), "response"),
  zoo_model("naiveBayes", "e1071", iris, function(d) e1071::naiveBayes(Species ~ ., data = d),
            list(class = function(m, x) predict(m, x, type = "class"),
                 raw = function(m, x) predict(m, x, type = "raw")), "class"),
  zoo_model("ksvm-s4", "kernlab", iris,
            function(d) { set.seed(1); kernlab::ksvm(Species ~ ., data = d, prob.model = TRUE) },
            list(response = function(m, x) predict(m, x, type = "response"),
                 probabilities = function(m, x) predict(m, x, type = "probabilities")), "response"),
  zoo_model("gausspr-s4", "kernlab", mtcars,
            function(d) { set.seed(1); kernlab::gausspr(mpg ~ wt + hp, data = d) },
            list(response = function(m, x) drop(predict(m, x, type = "response"))), "response"),
  zoo_model("earth", "earth", trees, function(d) earth::earth(Volume ~ ., data = d),
            list(link = function(m, x) drop(predict(m, x, type = "link")),
                 response = function(m, x) drop(predict(m, x, type = "response")),
                 earth = function(m, x) drop(predict(m, x, type = "earth")),
                 class = function(m, x) drop(predict(m, x, type = "class"))), "response"),
  zoo_model("caret-train", "caret", iris,
            function(d) caret::train(Species ~ ., data = d, method = "rpart",
                                     trControl = caret::trainControl(method = "none"), tuneGrid = data.frame(cp = 0.01)),
            list(raw = function(m, x) predict(m, x, type = "raw"),
                 prob = function(m, x) as.matrix(predict(m, x, type = "prob"))), "raw"),
  zoo_model("gam-mgcv", "mgcv", mtcars, function(d) mgcv::gam(mpg ~ s(wt) + hp, data = d),
            list(link = function(m, x) as.vector(predict(m, x, type = "link")),
                 response = function(m, x) as.vector(predict(m, x, type = "response"))), "response"),
  zoo_model("coxph-survival", "survival", lung(),
            function(d) survival::coxph(survival::Surv(time, status) ~ age + sex + ph.ecog, data = d),
            list(lp = function(m, x) predict(m, x, type = "lp"),
                 risk = function(m, x) predict(m, x, type = "risk")), "lp"),
  zoo_model("survreg-survival", "survival", lung(),
            function(d) survival::survreg(survival::Surv(time, status) ~ age + sex, data = d),
            list(response = function(m, x) predict(m, x, type = "response"),
                 link = function(m, x) predict(m, x, type = "link"),
                 lp = function(m, x) predict(m, x, type = "lp"),
                 linear = function(m, x) predict(m, x, type = "linear")), "response"),
  zoo_model("gbm", "gbm", mtcars,
            function(d) { set.seed(1); gbm::gbm(mpg ~ wt + hp + qsec, data = d, distribution = "gaussian", n.trees = 50, n.minobsinnode = 3) },
            list(link = function(m, x) predict(m, x, n.trees = 50, type = "link"),
                 response = function(m, x) predict(m, x, n.trees = 50, type = "response")), "response"),
  zoo_model("cv.glmnet", "glmnet", mtcars,
            function(d) { set.seed(1); glmnet::cv.glmnet(as.matrix(d[, -1]), d$mpg, nfolds = 4) },
            list(link = function(m, x) drop(predict(m, as.matrix(x[, -1]), type = "link")),
                 response = function(m, x) drop(predict(m, as.matrix(x[, -1]), type = "response"))), "response",
            response = "mpg"),
  zoo_model("plsr", "pls", mtcars, function(d) pls::plsr(mpg ~ ., ncomp = 3, data = d),
            list(response = function(m, x) drop(predict(m, x, ncomp = 3, type = "response")),
                 scores = function(m, x) drop(predict(m, x, ncomp = 3, type = "scores"))), "response"),
  zoo_model("ctree-partykit", "partykit", iris, function(d) partykit::ctree(Species ~ ., data = d),
            list(response = function(m, x) predict(m, x, type = "response"),
                 prob = function(m, x) predict(m, x, type = "prob")), "response"),
  zoo_model("ctree-party-s4", "party", iris, function(d) party::ctree(Species ~ ., data = d),
            list(response = function(m, x) predict(m, x, type = "response"),
                 prob = function(m, x) `colnames<-`(do.call(rbind, predict(m, x, type = "prob")), levels(iris$Species))), "response"),
  zoo_model("cforest-party-s4", "party", iris,
            function(d) { set.seed(1); party::cforest(Species ~ ., data = d, controls = party::cforest_unbiased(ntree = 20)) },
            list(response = function(m, x) predict(m, newdata = x, type = "response"),
                 prob = function(m, x) `colnames<-`(do.call(rbind, predict(m, newdata = x, type = "prob")), levels(iris$Species))), "response"),
  zoo_model("bagging-ipred", "ipred", iris, function(d) { set.seed(1); ipred::bagging(Species ~ ., data = d, nbagg = 10) },
            list(class = function(m, x) predict(m, x, type = "class"),
                 prob = function(m, x) predict(m, x, type = "prob")), "class"),
  zoo_model("fda-mda", "mda", iris, function(d) mda::fda(Species ~ ., data = d),
            list(class = function(m, x) predict(m, x, type = "class"),
                 posterior = function(m, x) predict(m, x, type = "posterior")), "class"),
  zoo_model("mars-mda-matrix", "mda", trees, function(d) mda::mars(as.matrix(d[, c("Girth", "Height")]), d$Volume),
            list(response = function(m, x) drop(predict(m, as.matrix(x[, c("Girth", "Height")])))), "response",
            response = "Volume"),
  zoo_model("MclustDA-list", "mclust", iris,
            function(d) mclust::MclustDA(d[, 1:4], d$Species, modelType = "EDDA", verbose = FALSE),
            list(classification = function(m, x) predict(m, x[, 1:4])$classification,
                 z = function(m, x) predict(m, x[, 1:4])$z), "classification", response = "Species"),
  zoo_model("vglm-multinomial-s4", "VGAM", iris,
            function(d) VGAM::vglm(Species ~ Sepal.Length + Petal.Length, VGAM::multinomial, data = d),
            list(response = function(m, x) predict(m, x, type = "response")), "response"),
  zoo_model("zeroinfl", "pscl", pscl::bioChemists, function(d) pscl::zeroinfl(art ~ fem + ment | 1, data = d),
            list(response = function(m, x) predict(m, x, type = "response"),
                 prob = function(m, x) predict(m, x, type = "prob"),
                 count = function(m, x) predict(m, x, type = "count"),
                 zero = function(m, x) predict(m, x, type = "zero")), "response"),
  zoo_model("rq-quantreg", "quantreg", mtcars, function(d) quantreg::rq(mpg ~ wt + hp, data = d, tau = 0.5),
            list(none = function(m, x) predict(m, x, type = "none"),
                 percentile = function(m, x) predict(m, x, type = "percentile"),
                 direct = function(m, x) predict(m, x, type = "direct")), "none"),
  zoo_model("lme-nlme", "nlme", as.data.frame(nlme::Orthodont),
            function(d) nlme::lme(distance ~ age, random = ~ 1 | Subject, data = d),
            list(response = function(m, x) as.vector(predict(m, x))), "response"),
  zoo_model("clm-ordinal", "ordinal", as.data.frame(ordinal::wine),
            function(d) ordinal::clm(rating ~ temp + contact, data = d),
            list(prob = function(m, x) predict(m, x[, c("temp", "contact")], type = "prob")$fit,
                 class = function(m, x) predict(m, x[, c("temp", "contact")], type = "class")$fit), "prob"),
  zoo_model("lmer-mixed-score", "lme4", lme4::sleepstudy,
            function(d) lme4::lmer(Reaction ~ Days + (Days | Subject), data = d),
            list(response = function(m, x) predict(m, x, allow.new.levels = TRUE)), "response",
            score = c("# Mixed model: subjects unseen in training get the population prediction.",
                      "library(lme4)",
                      "score <- function(model, newdata, ...) predict(model, newdata, allow.new.levels = TRUE)")),
  zoo_model("recipe-bundle-score", "recipes", mtcars[, c("mpg", "wt", "hp", "disp")],
            function(d) {
              rec <- recipes::prep(recipes::step_log(recipes::step_normalize(
                recipes::recipe(mpg ~ wt + hp + disp, data = d), recipes::all_numeric_predictors()), disp, offset = 3), training = d)
              list(recipe = rec, fit = lm(mpg ~ wt + hp + disp, data = recipes::bake(rec, d)))
            },
            list(response = function(m, x) predict(m$fit, recipes::bake(m$recipe, x))), "response",
            score = c("# A recipe and the model fitted on its output, bundled in a list.",
                      "library(recipes)",
                      "score <- function(model, newdata, ...) predict(model$fit, bake(model$recipe, newdata))"),
            response = "mpg", prototype = "csv"),
  # Formulas as R users write them: transforms, splines and other functions of attached
  # packages called unqualified, offsets, cbind() and Surv() responses, `|` formulas.
  zoo_model("lm-ns-splines", "splines", mtcars, function(d) lm(mpg ~ ns(wt, df = 3) + hp, data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("lm-bs-splines", "splines", cars, function(d) lm(dist ~ bs(speed, df = 4), data = d),
            list(response = function(m, x) predict(m, x),
                 terms = function(m, x) predict(m, x, type = "terms")), "response", prototype = "csv"),
  zoo_model("lm-transforms", "stats", mtcars,
            function(d) lm(log(mpg) ~ poly(hp, 2) + I(wt^2) + wt:factor(am) + log(disp), data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("glm-poisson-offset-ordered", "stats", MASS::Insurance,
            function(d) glm(Claims ~ District + Group + Age + offset(log(Holders)), family = poisson, data = d),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response"),
  zoo_model("glm-binomial-cbind-ordered", "stats", esoph,
            function(d) glm(cbind(ncases, ncontrols) ~ agegp + tobgp + alcgp, family = binomial, data = d),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response", prototype = "csv"),
  zoo_model("lm-splines2", "splines2", mtcars,
            function(d) lm(mpg ~ bSpline(wt, df = 4) + naturalSpline(hp, df = 2), data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("ols-rms-rcs", "rms", mtcars, function(d) ols(mpg ~ rcs(wt, 4) + hp, data = d),
            list(lp = function(m, x) predict(m, x, type = "lp")), "lp"),
  zoo_model("lrm-rms-rcs", "rms", mtcars, function(d) lrm(am ~ rcs(hp, 3) + wt, data = d),
            list(lp = function(m, x) predict(m, x, type = "lp"),
                 fitted = function(m, x) predict(m, x, type = "fitted"),
                 fitted.ind = function(m, x) predict(m, x, type = "fitted.ind")), "lp"),
  zoo_model("psm-rms-surv", "rms", lung(), function(d) psm(Surv(time, status) ~ rcs(age, 3) + sex, data = d),
            list(lp = function(m, x) predict(m, x, type = "lp")), "lp"),
  zoo_model("coxph-pspline-surv", "survival", lung(),
            function(d) coxph(Surv(time, status) ~ pspline(age, df = 3) + sex + ph.ecog, data = d),
            list(lp = function(m, x) predict(m, x, type = "lp"),
                 risk = function(m, x) predict(m, x, type = "risk")), "lp"),
  zoo_model("tobit-AER", "AER", package_data("Affairs", "AER"),
            function(d) tobit(affairs ~ age + yearsmarried + religiousness + occupation + rating, data = d),
            list(response = function(m, x) predict(m, x, type = "response"),
                 link = function(m, x) predict(m, x, type = "link"),
                 lp = function(m, x) predict(m, x, type = "lp"),
                 linear = function(m, x) predict(m, x, type = "linear")), "response"),
  zoo_model("ivreg-AER", "AER", cigarettes(),
            function(d) ivreg(log(packs) ~ log(price / cpi) + log(income / population / cpi) |
                                log(income / population / cpi) + I((taxs - tax) / cpi) + I(tax / cpi), data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("lmtree-partykit", "partykit", mtcars, function(d) lmtree(mpg ~ wt | hp + cyl + am, data = d, minsize = 8),
            list(response = function(m, x) predict(m, x, type = "response"),
                 node = function(m, x) predict(m, x, type = "node")), "response"),
  zoo_model("glmtree-partykit", "partykit", mtcars,
            function(d) glmtree(am ~ wt | hp + qsec + cyl, data = d, family = binomial, minsize = 10),
            list(response = function(m, x) predict(m, x, type = "response"),
                 link = function(m, x) predict(m, x, type = "link"),
                 node = function(m, x) predict(m, x, type = "node")), "response"),
  zoo_model("hurdle-pscl", "pscl", pscl::bioChemists,
            function(d) hurdle(art ~ fem + ment | ment, data = d, dist = "negbin"),
            list(response = function(m, x) predict(m, x, type = "response"),
                 count = function(m, x) predict(m, x, type = "count"),
                 zero = function(m, x) predict(m, x, type = "zero")), "response"),
  zoo_model("locfit", "locfit", cars, function(d) locfit(dist ~ lp(speed, nn = 0.5), data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("ssanova-gss", "gss", mtcars, function(d) ssanova(mpg ~ wt + hp, data = d, seed = 1),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("segmented", "segmented", cars,
            function(d) { set.seed(1); segmented(lm(dist ~ speed, data = d), seg.Z = ~ speed) },
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("glmmTMB-zinb", "glmmTMB", package_data("Salamanders", "glmmTMB"),
            function(d) glmmTMB(count ~ mined + cover + (1 | spp), ziformula = ~ mined, family = nbinom2, data = d),
            list(response = function(m, x) predict(m, x, type = "response"),
                 link = function(m, x) predict(m, x, type = "link"),
                 conditional = function(m, x) predict(m, x, type = "conditional"),
                 zprob = function(m, x) predict(m, x, type = "zprob"),
                 zlink = function(m, x) predict(m, x, type = "zlink"),
                 disp = function(m, x) predict(m, x, type = "disp")), "response"),
  zoo_model("glm-brglm2", "brglm2", mtcars,
            function(d) glm(am ~ wt + hp, family = binomial, data = d, method = "brglmFit"),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response"),
  zoo_model("brmultinom-brglm2", "brglm2", iris, function(d) brmultinom(Species ~ ., data = d),
            list(class = function(m, x) predict(m, x, type = "class"),
                 probs = function(m, x) one_row(predict(m, x, type = "probs"))), "class"),
  zoo_model("geeglm-geepack", "geepack", transform(package_data("dietox", "geepack"), Cu = factor(Cu)),
            function(d) geeglm(Weight ~ ns(Time, df = 3) + Cu, id = Pig, data = d, corstr = "ar1"),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response", packages = "splines"),
  zoo_model("gnm-mult", "gnm", as.data.frame(HairEyeColor[, , "Male"]),
            function(d) { set.seed(1); gnm(Freq ~ Eye + Hair + Mult(Eye, Hair), family = poisson, data = d, verbose = FALSE) },
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response"),
  zoo_model("nlsLM-minpack.lm", "minpack.lm", mtcars,
            function(d) nlsLM(mpg ~ a * exp(b * wt), data = d, start = list(a = 40, b = -0.3)),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("glmrob-robustbase", "robustbase", pscl::bioChemists,
            function(d) glmrob(art ~ fem + mar + kid5 + ment, family = poisson, data = d),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response"),
  # Inputs of other types: dates and date-times, a difftime, character and logical
  # columns, and rows with missing values.
  zoo_model("lmrob-date-robustbase", "robustbase", robustbase::ambientNOxCH,
            function(d) lmrob(log(ad) ~ date + log(ba), data = d, control = lmrob.control(seed = 1)),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("lm-date-difftime", "stats", rhdnase(), function(d) lm(fev ~ entry.dt + followup + trt, data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  zoo_model("glm-posixct", "stats", police_stops(),
            function(d) glm(personSearch ~ date + problem + gender + policePrecinct, family = binomial, data = d),
            list(link = function(m, x) predict(m, x, type = "link"),
                 response = function(m, x) predict(m, x, type = "response")), "response"),
  zoo_model("lm-character-logical", "stats", mtcars_character(), function(d) lm(mpg ~ wt + hp + gears + manual, data = d),
            list(response = function(m, x) predict(m, x)), "response"),
  # predict() fails on rows that hold one level of the character column (one row, say):
  # what R gives for those rows scored among the training data.
  zoo_model("gls-character-nlme", "nlme", orthodont_character(), function(d) gls(distance ~ age + Sex, data = d),
            list(response = function(m, x) as.vector(predict(m, rbind(x, orthodont_character())))[seq_len(nrow(x))]),
            "response"),
  zoo_model("rpart-surrogate-na", "rpart", airquality, function(d) rpart(Ozone ~ ., data = d),
            list(vector = function(m, x) predict(m, x, type = "vector"),
                 matrix = function(m, x) predict(m, x, type = "matrix")), "vector", rows = airquality_na()),
  zoo_model("ctree-surrogate-na-partykit", "partykit", airquality[!is.na(airquality$Ozone), ],
            function(d) ctree(Ozone ~ ., data = d, control = ctree_control(maxsurrogate = 2)),
            list(response = function(m, x) predict(m, x, type = "response")), "response", rows = airquality_na(),
            prototype = "csv"),
  # Models fitted on a matrix or vectors, whose predict() takes `x`.
  zoo_model("polymars-polspline-matrix", "polspline", mtcars[, c("mpg", "wt", "hp", "qsec")],
            function(d) polymars(d$mpg, as.matrix(d[, c("wt", "hp", "qsec")])),
            list(response = function(m, x) drop(predict(m, x = as.matrix(x[, c("wt", "hp", "qsec")])))), "response",
            response = "mpg"),
  zoo_model("smooth.spline-vector", "stats", cars, function(d) smooth.spline(d$speed, d$dist, df = 5),
            list(y = function(m, x) predict(m, x = x$speed)$y), "y", response = "dist")
)

# What a plain R result is as the JSON the service answers with: numbers with 17
# significant digits (exact doubles), NA as null, classes as strings, a matrix as one
# object per row. (Attach each model's package first: S4 predict() methods need it.)
expected_json <- function(x) {
  num <- function(v) ifelse(is.finite(v), sprintf("%.17g", v), "null")
  str <- function(v) vapply(as.character(v), function(s) as.character(jsonlite::toJSON(s, auto_unbox = TRUE)), "", USE.NAMES = FALSE)
  if (is.data.frame(x)) x <- as.matrix(x)
  if (is.matrix(x) && ncol(x) > 1L) {
    keys <- paste0(str(colnames(x)), ":")
    rows <- apply(x, 1L, function(r) paste0("{", paste0(keys, num(r), collapse = ","), "}"))
    return(paste0("[", paste(rows, collapse = ","), "]"))
  }
  if (is.matrix(x)) x <- x[, 1L]
  if (is.factor(x) || is.character(x)) return(paste0("[", paste(ifelse(is.na(x), "null", str(x)), collapse = ","), "]"))
  if (is.logical(x)) return(paste0("[", paste(ifelse(is.na(x), "null", tolower(as.character(x))), collapse = ","), "]"))
  paste0("[", paste(num(as.vector(x)), collapse = ","), "]")
}
