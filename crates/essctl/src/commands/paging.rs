//! Paged list commands: `--page-size`, `--page-token` and `--all`, shared by every `list` command
//! whose RPC answers one page at a time (`page_size`, `page_token`, `next_page_token`).

use std::future::Future;

use clap::Args;

use crate::{cli::Output, failure::Failure};

/// Which page to ask for, or every page.
#[derive(Debug, Clone, Default, Args)]
pub struct PageArgs {
    /// Rows per page (0: the service's default of 50; at most 500).
    #[arg(long, default_value_t = 0)]
    pub page_size: i32,
    /// The token printed after the previous page.
    #[arg(long, conflicts_with = "all")]
    pub page_token: Option<String>,
    /// Follow every page and print all the rows.
    #[arg(long)]
    pub all: bool,
}

/// Fetches the page asked for, or every page with `--all`: `fetch` gets the page token and answers
/// the rows and the next token. Returns the rows and the token of the page after them (empty when
/// there is none).
pub async fn fetch<T, F, Fut>(args: &PageArgs, mut fetch: F) -> Result<(Vec<T>, String), Failure>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, String), Failure>>,
{
    let mut token = args.page_token.clone().unwrap_or_default();
    let mut rows = Vec::new();
    loop {
        let (page, next) = fetch(token).await?;
        rows.extend(page);
        if !args.all || next.is_empty() {
            return Ok((rows, next));
        }
        token = next;
    }
}

/// Every row of a list, page after page of the largest size (for commands that need them all).
pub async fn all<T, F, Fut>(fetch: F) -> Result<Vec<T>, Failure>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, String), Failure>>,
{
    let args = PageArgs {
        page_size: 500,
        page_token: None,
        all: true,
    };
    Ok(self::fetch(&args, fetch).await?.0)
}

/// Adds the hint to the next page under a table; JSON stays one document (the token goes to
/// stderr).
pub fn with_next(mut text: String, next: &str, output: Output) -> String {
    if !next.is_empty() {
        match output {
            Output::Table => text.push_str(&format!("next page: --page-token {next}\n")),
            Output::Json => eprintln!("next page: --page-token {next}"),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_follows_every_page_and_one_page_stops_with_its_token() {
        let pages = |token: String| async move {
            Ok::<_, Failure>(match token.as_str() {
                "" => (vec![1, 2], "b".to_owned()),
                "b" => (vec![3, 4], "c".to_owned()),
                _ => (vec![5], String::new()),
            })
        };
        assert_eq!(all(pages).await.ok(), Some(vec![1, 2, 3, 4, 5]));
        let one = PageArgs {
            page_token: Some("b".into()),
            ..PageArgs::default()
        };
        assert_eq!(fetch(&one, pages).await.ok(), Some((vec![3, 4], "c".to_owned())));
        assert_eq!(
            with_next("rows\n".into(), "c", Output::Table),
            "rows\nnext page: --page-token c\n"
        );
        assert_eq!(with_next("rows\n".into(), "", Output::Table), "rows\n");
    }
}
