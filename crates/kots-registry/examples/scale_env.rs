//! The scale-out backends for `bench/scale.sh`, on loopback: a throw-away PostgreSQL (with one
//! database per benchmark configuration) and an S3 API server (s3s-fs). Prints `NAME=VALUE`
//! lines, then serves until stdin closes.
//!
//! ```text
//! scale_env DATABASES…     # e.g. `scale_env one two`: DATABASE_ONE=postgres://…, DATABASE_TWO=…
//! ```

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let postgres = kots_testkit::LocalPostgres::start().expect("PostgreSQL starts");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&postgres.url).await.unwrap();
        for name in &names {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.unwrap();
        }
    });
    let s3 = kots_testkit::LocalS3::start();
    let base = postgres.url.trim_end_matches("/postgres");
    for name in &names {
        println!("DATABASE_{}={base}/{name}", name.to_uppercase());
    }
    println!("S3_ENDPOINT={}", s3.endpoint);
    println!("S3_BUCKET={}", s3.bucket);
    println!("AWS_ACCESS_KEY_ID={}", s3.access_key);
    println!("AWS_SECRET_ACCESS_KEY={}", s3.secret_key);
    println!("READY=1");
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).map(|read| read > 0).unwrap_or(false) {
        line.clear();
    }
}
