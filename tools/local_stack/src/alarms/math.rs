//! The metric math the local stack evaluates: `SUM`, `MAX`, `MIN` and `AVG` over a list of
//! query ids (`SUM([m1, m2])`) or over every metric of the alarm (`SUM(METRICS())`), a sum of
//! ids (`m1 + m2`), and a bare id. Anything else is refused when the template is read, and
//! the alarm stays `INSUFFICIENT_DATA` with that reason.
//!
//! As in CloudWatch, the functions over a list skip the series without a datapoint in a
//! period (no datapoint at all: none), while `+` has no datapoint unless every term has one.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expression {
    Id(String),
    /// `+` of the ids.
    Plus(Vec<String>),
    Over(Function, Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Sum,
    Max,
    Min,
    Avg,
}

fn is_id(s: &str) -> bool {
    // CloudWatch's ids: a lowercase letter first, then letters, digits and underscores.
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `text`; `all` is every metric query's id (what `METRICS()` stands for).
pub fn parse(text: &str, all: &[String]) -> anyhow::Result<Expression> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let unsupported = || {
        anyhow::anyhow!("metric math {text:?} is not modelled locally (only SUM/MAX/MIN/AVG over ids or METRICS(), m1 + m2, or an id)")
    };
    if is_id(&t) {
        return Ok(Expression::Id(t));
    }
    if t.contains('+') {
        let terms: Vec<String> = t.split('+').map(str::to_string).collect();
        return match terms.iter().all(|s| is_id(s)) {
            true => Ok(Expression::Plus(terms)),
            false => Err(unsupported()),
        };
    }
    let (name, rest) = t.split_once('(').ok_or_else(unsupported)?;
    let function = match name {
        "SUM" => Function::Sum,
        "MAX" => Function::Max,
        "MIN" => Function::Min,
        "AVG" => Function::Avg,
        _ => return Err(unsupported()),
    };
    let inner = rest.strip_suffix(')').ok_or_else(unsupported)?;
    let ids = if inner == "METRICS()" {
        all.to_vec()
    } else {
        let list = inner
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .ok_or_else(unsupported)?;
        let ids: Vec<String> = list.split(',').map(str::to_string).collect();
        if !ids.iter().all(|s| is_id(s)) {
            return Err(unsupported());
        }
        ids
    };
    Ok(Expression::Over(function, ids))
}

impl Expression {
    /// The ids it reads.
    pub fn ids(&self) -> Vec<&String> {
        match self {
            Expression::Id(id) => vec![id],
            Expression::Plus(ids) | Expression::Over(_, ids) => ids.iter().collect(),
        }
    }

    /// Its value in one period, given each id's datapoint there.
    pub fn value(&self, of: impl Fn(&str) -> Option<f64>) -> Option<f64> {
        match self {
            Expression::Id(id) => of(id),
            Expression::Plus(ids) => ids.iter().map(|id| of(id)).sum(),
            Expression::Over(function, ids) => {
                let present: Vec<f64> = ids.iter().filter_map(|id| of(id)).collect();
                if present.is_empty() {
                    return None;
                }
                Some(match function {
                    Function::Sum => present.iter().sum(),
                    Function::Max => present.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    Function::Min => present.iter().copied().fold(f64::INFINITY, f64::min),
                    Function::Avg => present.iter().sum::<f64>() / present.len() as f64,
                })
            }
        }
    }
}
