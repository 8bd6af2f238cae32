//! What the evaluation keeps of a test file's rows while its records are scored in chunks: each
//! row's label as a 4-byte code into the file's distinct labels (with their categories), so a test
//! file of any size is evaluated in memory proportional to its rows' scores, not its records.

use foldhash::HashMap;

use crate::error::{Error, Result};
use crate::load::Dataset;
use crate::load::rows::Rows;
use crate::schema;

/// The labels and categories of a test file's rows, in row order.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    name: String,
    /// Distinct labels, in order of first appearance, with their category.
    labels: Vec<(String, String)>,
    index: HashMap<String, u32>,
    codes: Vec<u32>,
}

impl Truth {
    /// The truth of a dataset in memory.
    pub fn of(ds: &Dataset) -> Result<Truth> {
        let mut t = Truth::default();
        t.add(ds, "evaluate")?;
        Ok(t)
    }

    /// The truth of rows given by their codes into `labels` (label, category).
    pub fn from_rows(name: &str, labels: Vec<(String, String)>, codes: Vec<u32>) -> Truth {
        let index = labels
            .iter()
            .enumerate()
            .map(|(i, (l, _))| (l.clone(), i as u32))
            .collect();
        Truth {
            name: name.to_string(),
            labels,
            index,
            codes,
        }
    }

    /// Checks that rows can be evaluated: labels and every feature (`what` names the command).
    pub fn check(ds: &Dataset, what: &str) -> Result<()> {
        if !ds.layout.label {
            return Err(Error::Usage(format!(
                "{}: has no labels, and {what} needs them (kddstat score scores unlabelled \
                 records)",
                ds.name
            )));
        }
        ds.require_all_features(what)
    }

    /// Adds a chunk of rows (the first names the file); `what` names the command in errors.
    pub fn add(&mut self, ds: &Dataset, what: &str) -> Result<()> {
        if self.codes.is_empty() && self.labels.is_empty() {
            Self::check(ds, what)?;
            self.name = ds.name.clone();
        }
        self.codes.reserve(ds.rows());
        for (l, c) in ds
            .str_values(schema::LABEL)?
            .zip(ds.str_values(schema::CATEGORY)?)
        {
            let code = match self.index.get(l) {
                Some(&k) => k,
                None => {
                    let k = u32::try_from(self.labels.len()).map_err(|_| {
                        Error::Internal(format!("{}: too many distinct labels", ds.name))
                    })?;
                    self.index.insert(l.to_string(), k);
                    self.labels.push((l.to_string(), c.to_string()));
                    k
                }
            };
            self.codes.push(code);
        }
        Ok(())
    }

    /// The file's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.codes.len()
    }

    /// Each row's label.
    pub fn labels(&self) -> impl Iterator<Item = &str> + '_ {
        self.codes
            .iter()
            .map(|&k| self.labels[k as usize].0.as_str())
    }

    /// Each row's category.
    pub fn categories(&self) -> impl Iterator<Item = &str> + '_ {
        self.codes
            .iter()
            .map(|&k| self.labels[k as usize].1.as_str())
    }
}

/// Reads `rows` in chunks and gives each chunk to `each` (in order), keeping the chunks' truth.
pub fn pass(rows: Rows, what: &str, mut each: impl FnMut(&Dataset) -> Result<()>) -> Result<Truth> {
    let mut truth = Truth::default();
    for chunk in rows.open()? {
        let ds = chunk?;
        truth.add(&ds, what)?;
        each(&ds)?;
    }
    Ok(truth)
}
